//! Every file under `assets/` is embedded, and every embedded file exists: a file added to the
//! directory but not to `src/assets.rs` would be a 404 in the browser.

use std::collections::BTreeSet;
use std::path::Path;

fn files_under(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(root, &path, out);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            out.insert(relative.to_str().unwrap().replace('\\', "/"));
        }
    }
}

#[test]
fn the_asset_table_lists_exactly_the_files_in_assets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut on_disk = BTreeSet::new();
    files_under(&root, &root, &mut on_disk);
    assert!(on_disk.contains("index.html"), "assets/ has no index.html");
    let embedded: BTreeSet<String> = s4_console::ASSETS
        .iter()
        .map(|a| a.path.to_owned())
        .collect();
    assert_eq!(embedded, on_disk);
    for asset in s4_console::ASSETS {
        let disk = std::fs::read(root.join(asset.path)).unwrap();
        // Not assert_eq!: a failure would print both files as byte lists.
        assert!(
            asset.bytes == disk.as_slice(),
            "{} differs from the embedded copy (rebuild)",
            asset.path
        );
    }
}

#[test]
fn every_module_the_page_imports_is_embedded() {
    // Imports are the only links between the modules: a relative `from './x.js'` that is not
    // embedded would break the page at load time. (The modules import with single quotes.)
    for asset in s4_console::ASSETS
        .iter()
        .filter(|a| a.content_type.starts_with("text/javascript"))
    {
        let text = std::str::from_utf8(asset.bytes).unwrap();
        let dir = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
        for rest in text.split(" from '").skip(1) {
            let target = rest.split('\'').next().unwrap();
            let joined = resolve(dir, target);
            assert!(
                s4_console::lookup(&joined).is_some(),
                "{} imports {target} ({joined}), not embedded",
                asset.path
            );
        }
    }
}

fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for segment in target.split('/') {
        match segment {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}
