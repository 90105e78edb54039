// Verifies a sovereign-lint evidence bundle with the Sigstore JavaScript verifier (@sigstore/verify),
// offline: the public key is found by the bundle's `publicKey.hint` (base64 SHA-256 of the key's DER),
// and no transparency log, certificate transparency log or timestamp is required.
//
// Usage: node scripts/evidence/verify-sigstore.js NODE_MODULES_DIR BUNDLE PUBKEY_PEM
// Prints `verified <payloadType> <n> bytes` and exits 0, or prints the verifier's error and exits 1.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [modules, bundlePath, keyPath] = process.argv.slice(2);
if (!modules || !bundlePath || !keyPath) {
  console.error('usage: verify-sigstore.js NODE_MODULES_DIR BUNDLE PUBKEY_PEM');
  process.exit(2);
}
const load = createRequire(path.join(path.resolve(modules), 'package.json'));
const { bundleFromJSON } = load('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = load('@sigstore/verify');

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath));
  const hint = crypto
    .createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  const keyFinder = (wanted) => {
    if (wanted !== hint) {
      throw new Error(`no trusted key with hint ${wanted} (the given key's hint is ${hint})`);
    }
    return { publicKey, validFor: () => true };
  };
  const noAuthorities = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
  const verifier = new Verifier(toTrustMaterial(noAuthorities, keyFinder), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  verifier.verify(toSignedEntity(bundle));
  const envelope = bundle.content.dsseEnvelope;
  console.log(`verified ${envelope.payloadType} ${envelope.payload.length} bytes`);
} catch (e) {
  console.log(`not verified: ${e.code ? e.code + ': ' : ''}${e.message}`);
  process.exit(1);
}
