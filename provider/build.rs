//! Generates the tfplugin6 and go-plugin gRPC code from `schemas/proto/` with protox (pure Rust:
//! no system `protoc` needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with `env!`: a build script compiled for one checkout is reused by cargo for another
    // checkout sharing the target directory (same sources, other path), and must look in the one being built.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("cargo did not set CARGO_MANIFEST_DIR")?;
    let proto_dir = std::path::Path::new(&manifest_dir).join("../schemas/proto");
    let files = [
        proto_dir.join("tfplugin6.proto"),
        proto_dir.join("go_plugin.proto"),
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let descriptors = protox::compile(&files, [&proto_dir])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // RPCs the provider does not implement answer UNIMPLEMENTED.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
