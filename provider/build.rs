//! Generates the tfplugin6 and go-plugin gRPC code from `schemas/proto/` with protox (pure Rust:
//! no system `protoc` needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/proto");
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
