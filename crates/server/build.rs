//! Embeds the web vault (`web/dist`, built by `scripts/build-web.sh`) into the server binary,
//! each file with a gzip copy made here, so one binary is the whole product. Without a built
//! `web/dist` the table is empty and the server says so on `/`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest.join("../../web");
    let dist = web.join("dist");
    // Until dist exists, its appearance changes `web/` itself.
    if dist.is_dir() {
        println!("cargo:rerun-if-changed={}", dist.display());
    } else {
        println!("cargo:rerun-if-changed={}", web.display());
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, Path::new(""), &mut files);
    }
    files.sort();
    let mut code = String::from("&[\n");
    for (i, relative) in files.iter().enumerate() {
        let path = dist
            .join(relative)
            .canonicalize()
            .expect("a file just listed");
        let body = std::fs::read(&path).expect("readable web asset");
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&body).expect("gzip in memory");
        let gzip_path = out.join(format!("web-asset-{i}.gz"));
        std::fs::write(&gzip_path, gzip.finish().expect("gzip in memory")).expect("OUT_DIR");
        let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
        code.push_str(&format!(
            "    Asset {{ path: {url:?}, body: include_bytes!({path:?}), gzip: include_bytes!({gzip_path:?}) }},\n"
        ));
    }
    code.push_str("]\n");
    std::fs::write(out.join("web_assets.rs"), code).expect("OUT_DIR");
}

fn collect(root: &Path, relative: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = relative.join(entry.file_name());
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => collect(root, &name, files),
            Ok(kind) if kind.is_file() => files.push(name),
            _ => {}
        }
    }
}
