//! The ImageNet pipeline on a generated ImageNet-layout fixture: three classes, JPEGs of
//! different sizes, a PNG named .JPEG, a CMYK JPEG and a truncated JPEG.

use deepskip_data::imagenet::transform::random_resized_crop;
use deepskip_data::imagenet::{
    decode_rgb, sort_validation, ImageFolder, ImagenetError, ImagenetLayout, ImagenetLoader,
    LoaderConfig, PrepMode, TransformConfig,
};
use image::{ImageFormat, RgbImage};
use rand::SeedableRng;
use std::path::{Path, PathBuf};

fn picture(width: u32, height: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            ((x + y + seed * 40) % 256) as u8,
        ])
    })
}

fn jpeg_bytes(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture(width, height, seed)
        .write_to(&mut bytes, ImageFormat::Jpeg)
        .expect("encode JPEG");
    bytes.into_inner()
}

fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture(width, height, 7)
        .write_to(&mut bytes, ImageFormat::Png)
        .expect("encode PNG");
    bytes.into_inner()
}

/// A 4-component (CMYK) JPEG, as some ImageNet training images are.
fn cmyk_jpeg_bytes(width: u16, height: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .flat_map(|i| [(i % 200) as u8, 40, 90, 10])
        .collect();
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 90)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Cmyk)
        .expect("encode CMYK JPEG");
    bytes
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write fixture file");
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    truncated: PathBuf,
}

/// train: n01 (2 JPEGs), n02 (1 JPEG, 1 PNG named .JPEG), n03 (1 CMYK JPEG, 1 truncated);
/// val: n01 and n03, one JPEG each.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("imagenet");
    let train = root.join("train");
    write(&train.join("n01/a.JPEG"), &jpeg_bytes(80, 60, 1));
    write(&train.join("n01/b.JPEG"), &jpeg_bytes(150, 110, 2));
    write(&train.join("n02/c.JPEG"), &jpeg_bytes(64, 100, 3));
    write(&train.join("n02/d.JPEG"), &png_bytes(90, 70));
    write(&train.join("n03/e.JPEG"), &cmyk_jpeg_bytes(72, 72));
    let whole = jpeg_bytes(120, 90, 4);
    let truncated = train.join("n03/f.JPEG");
    write(&truncated, &whole[..whole.len() * 3 / 5]);
    write(&train.join("n03/notes.txt"), b"not an image");
    write(&root.join("val/n01/v1.JPEG"), &jpeg_bytes(100, 75, 5));
    write(&root.join("val/n03/v2.JPEG"), &jpeg_bytes(75, 100, 6));
    Fixture {
        _dir: dir,
        root,
        truncated,
    }
}

#[test]
fn classes_are_sorted_wnids_and_val_uses_train_indices() {
    let fixture = fixture();
    let layout = ImagenetLayout::open(&fixture.root).expect("open layout");
    assert_eq!(layout.train.classes(), ["n01", "n02", "n03"]);
    let labels: Vec<usize> = layout.train.samples().iter().map(|s| s.1).collect();
    assert_eq!(labels, [0, 0, 1, 1, 2, 2], "notes.txt is not an image");
    let val: Vec<usize> = layout.val.samples().iter().map(|s| s.1).collect();
    assert_eq!(val, [0, 2], "val n03 keeps train's index 2, not its own 1");
    assert_eq!(layout.train.class_index("n02"), Some(1));
}

#[test]
fn unknown_val_class_and_empty_split_are_errors_naming_the_folder() {
    let fixture = fixture();
    write(&fixture.root.join("val/n99/x.JPEG"), &jpeg_bytes(10, 10, 0));
    let error = ImagenetLayout::open(&fixture.root).expect_err("n99 is not a train class");
    assert!(matches!(error, ImagenetError::UnknownClass { ref wnid, .. } if wnid == "n99"));
    let empty = tempfile::tempdir().expect("tempdir");
    let error = ImageFolder::scan(empty.path()).expect_err("no class folders");
    assert!(error
        .to_string()
        .contains(&empty.path().display().to_string()));
}

#[test]
fn decoding_goes_by_content_not_extension() {
    let fixture = fixture();
    let read = |name: &str| std::fs::read(fixture.root.join("train").join(name)).expect("read");
    let png = decode_rgb(&read("n02/d.JPEG"), 1).expect("PNG named .JPEG decodes");
    assert_eq!(png.dimensions(), (90, 70));
    let mut header = zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(
        read("n03/e.JPEG"),
    ));
    header.decode_headers().expect("CMYK header");
    assert_eq!(
        header.info().expect("info").components,
        4,
        "the fixture is CMYK"
    );
    let cmyk = decode_rgb(&read("n03/e.JPEG"), 1).expect("CMYK JPEG decodes");
    assert_eq!(cmyk.dimensions(), (72, 72));
    let reduced = decode_rgb(&read("n01/b.JPEG"), 4).expect("reduced decode");
    assert_eq!(
        reduced.dimensions(),
        (38, 28),
        "DCT scaling to 1/4, rounded up"
    );
    for reduction in [1, 4] {
        assert!(
            decode_rgb(&read("n03/f.JPEG"), reduction).is_err(),
            "a truncated JPEG is an error (reduction {reduction})"
        );
    }
}

/// A JPEG of one colour.
fn solid_jpeg_bytes(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    RgbImage::from_pixel(width, height, image::Rgb(rgb))
        .write_to(&mut bytes, ImageFormat::Jpeg)
        .expect("encode JPEG");
    bytes.into_inner()
}

#[test]
fn batches_hold_each_pixel_normalised_per_channel_with_its_label() {
    // A colour per class, its three channels far apart, so that a swapped, dropped or
    // mislabelled channel is off by far more than JPEG rounding.
    let colours = [[220_u8, 120, 30], [30, 200, 120]];
    let dir = tempfile::tempdir().expect("tempdir");
    let train = dir.path().join("train");
    write(
        &train.join("n01/a.JPEG"),
        &solid_jpeg_bytes(80, 60, colours[0]),
    );
    write(
        &train.join("n01/b.JPEG"),
        &solid_jpeg_bytes(50, 90, colours[0]),
    );
    write(
        &train.join("n02/c.JPEG"),
        &solid_jpeg_bytes(64, 64, colours[1]),
    );
    let folder = ImageFolder::scan(&train).expect("scan");
    let transform = TransformConfig::imagenet(32);
    // Solid JPEGs decode to within a couple of levels of their colour.
    let tolerance = |c: usize| 3.0 / 255.0 / transform.std[c];
    for config in [LoaderConfig::train(1, 32, 1), LoaderConfig::eval(2, 32)] {
        let loader = ImagenetLoader::new(&folder, config).expect("loader");
        let mut images = 0;
        for batch in loader.epoch(0) {
            let plane = 32 * 32;
            assert_eq!(batch.shape, [batch.labels.len(), 3, 32, 32]);
            for (k, &label) in batch.labels.iter().enumerate() {
                images += 1;
                let colour = colours[usize::try_from(label).expect("a class index")];
                for (c, &level) in colour.iter().enumerate() {
                    let expected =
                        (f32::from(level) / 255.0 - transform.mean[c]) / transform.std[c];
                    let start = (k * 3 + c) * plane;
                    for &value in &batch.images[start..start + plane] {
                        assert!(
                            (value - expected).abs() <= tolerance(c),
                            "image {k} (label {label}) channel {c}: {value}, expected {expected}"
                        );
                    }
                }
            }
        }
        assert_eq!(images, 3, "every image once");
    }
}

#[test]
fn an_undecodable_file_is_skipped_and_reported_with_its_path() {
    let fixture = fixture();
    let layout = ImagenetLayout::open(&fixture.root).expect("open layout");
    for config in [LoaderConfig::train(4, 32, 9), LoaderConfig::eval(4, 32)] {
        let mut config = config;
        config.drop_last = false;
        let loader = ImagenetLoader::new(&layout.train, config).expect("loader");
        let mut epoch = loader.epoch(0);
        let images: usize = epoch.by_ref().map(|b| b.shape[0]).sum();
        assert_eq!(images, 5, "six files, one truncated");
        assert_eq!(epoch.skipped().len(), 1);
        assert_eq!(epoch.skipped()[0].path, fixture.truncated);
        assert!(epoch.skipped()[0].to_string().contains("f.JPEG"));
    }
}

#[test]
fn an_epoch_is_a_function_of_seed_and_epoch() {
    let fixture = fixture();
    let layout = ImagenetLayout::open(&fixture.root).expect("open layout");
    let run = |seed: u64, epoch: usize| -> Vec<_> {
        let mut config = LoaderConfig::train(3, 24, seed);
        config.prefetch = 1;
        let loader = ImagenetLoader::new(&layout.train, config).expect("loader");
        loader.epoch(epoch).collect()
    };
    let first = run(5, 2);
    assert_eq!(first.len(), 2);
    assert_eq!(first, run(5, 2), "same seed and epoch, same batches");
    assert_ne!(first, run(5, 3), "another epoch, other crops or order");
    assert_ne!(first, run(6, 2), "another seed, other crops or order");
    let loader = ImagenetLoader::new(&layout.train, LoaderConfig::train(3, 24, 5)).expect("loader");
    assert_eq!(
        loader.batch(2, 1).0,
        first[1],
        "a batch on its own equals the streamed one"
    );
    assert_eq!(loader.epoch(2).len(), 2, "6 images in batches of 3");
}

#[test]
fn impossible_loader_settings_are_errors() {
    let fixture = fixture();
    let layout = ImagenetLayout::open(&fixture.root).expect("open layout");
    let mut config = LoaderConfig::train(4, 32, 0);
    config.transform.scale = (0.5, 0.1);
    let error = ImagenetLoader::new(&layout.train, config).expect_err("scale min > max");
    assert!(error.to_string().contains("scale"), "{error}");
    assert!(ImagenetLoader::new(&layout.train, LoaderConfig::eval(0, 32)).is_err());
}

#[test]
fn random_resized_crop_stays_inside_the_image_and_its_ranges() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for (w, h) in [(500, 375), (64, 100), (1000, 20)] {
        for _ in 0..200 {
            let c = random_resized_crop(w, h, (0.08, 1.0), (0.75, 4.0 / 3.0), &mut rng);
            assert!(c.left >= 0.0 && c.top >= 0.0 && c.width >= 1.0 && c.height >= 1.0);
            assert!(c.left + c.width <= f64::from(w) && c.top + c.height <= f64::from(h));
            let ratio = c.width / c.height;
            assert!(
                (0.7..=1.4).contains(&ratio) || (w, h) == (1000, 20),
                "{ratio}"
            );
        }
    }
}

/// A devkit with the ground truth of four validation images and the given ID -> wnid table.
fn devkit(dir: &Path, mapping: Option<&str>) -> PathBuf {
    let devkit = dir.join("ILSVRC2012_devkit_t12");
    write(
        &devkit.join("data/ILSVRC2012_validation_ground_truth.txt"),
        b"2\n1\n2\n3\n",
    );
    if let Some(text) = mapping {
        write(
            &devkit.join("data/ILSVRC2012_id_to_wnid.txt"),
            text.as_bytes(),
        );
    }
    devkit
}

fn raw_val(dir: &Path) -> PathBuf {
    let val = dir.join("val");
    for i in 1..=4 {
        write(
            &val.join(format!("ILSVRC2012_val_{i:08}.JPEG")),
            &jpeg_bytes(20 + i, 20, i),
        );
    }
    val
}

const MAPPING: &str = "# id wnid\n1 n01440764\n2 n01443537\n3 n01484850\n";

#[test]
fn prep_sorts_validation_images_by_hard_links_and_reruns_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devkit = devkit(dir.path(), Some(MAPPING));
    let val = raw_val(dir.path());
    let report = sort_validation(&devkit, &val, PrepMode::HardLink).expect("sort");
    assert_eq!(
        (report.sorted, report.already_sorted, report.classes),
        (4, 0, 3)
    );
    assert!(report.missing.is_empty());
    assert!(val.join("n01443537/ILSVRC2012_val_00000003.JPEG").is_file());
    assert!(val.join("n01440764/ILSVRC2012_val_00000002.JPEG").is_file());
    assert!(
        val.join("ILSVRC2012_val_00000003.JPEG").is_file(),
        "hard links keep the raw file"
    );
    let folder = ImageFolder::scan(&val).expect("sorted val scans");
    assert_eq!(folder.len(), 4);

    let again = sort_validation(&devkit, &val, PrepMode::HardLink).expect("re-run");
    assert_eq!((again.sorted, again.already_sorted), (0, 4));
}

#[test]
fn prep_moves_and_never_overwrites_a_different_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devkit = devkit(dir.path(), Some(MAPPING));
    let val = raw_val(dir.path());
    let clash = val.join("n01484850/ILSVRC2012_val_00000004.JPEG");
    write(&clash, b"something else");
    std::fs::remove_file(val.join("ILSVRC2012_val_00000002.JPEG")).expect("remove one raw file");
    let error = sort_validation(&devkit, &val, PrepMode::Move).expect_err("clash");
    assert!(
        matches!(error, ImagenetError::TargetDiffers { .. }),
        "{error}"
    );
    assert_eq!(std::fs::read(&clash).expect("read"), b"something else");
    assert!(
        val.join("ILSVRC2012_val_00000004.JPEG").is_file(),
        "the raw file is kept"
    );

    std::fs::remove_file(&clash).expect("resolve the clash");
    let report = sort_validation(&devkit, &val, PrepMode::Move).expect("sort");
    assert_eq!(report.missing, [val.join("ILSVRC2012_val_00000002.JPEG")]);
    assert_eq!(report.sorted + report.already_sorted, 3);
    assert!(!val.join("ILSVRC2012_val_00000004.JPEG").exists(), "moved");
    assert!(val.join("n01484850/ILSVRC2012_val_00000004.JPEG").is_file());
}

#[test]
fn prep_reads_the_devkit_meta_mat() {
    for compressed in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let devkit = devkit(dir.path(), None);
        let synsets = [
            (1, "n01440764"),
            (2, "n01443537"),
            (3, "n01484850"),
            (1001, "n00001740"),
        ];
        write(
            &devkit.join("data/meta.mat"),
            &mat5::synsets_file(&synsets, compressed),
        );
        let val = raw_val(dir.path());
        let report = sort_validation(&devkit, &val, PrepMode::HardLink).expect("sort");
        assert_eq!((report.sorted, report.classes), (4, 3));
        assert!(val.join("n01484850/ILSVRC2012_val_00000004.JPEG").is_file());
    }
}

#[test]
fn prep_explains_a_missing_devkit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = sort_validation(dir.path(), dir.path(), PrepMode::HardLink).expect_err("no devkit");
    assert!(
        error
            .to_string()
            .contains("ILSVRC2012_validation_ground_truth.txt"),
        "{error}"
    );
}

/// Writes the part of the MATLAB v5 format the devkit's meta.mat uses: a struct array
/// `synsets` with fields ILSVRC2012_ID (double), WNID (char, UTF-16) and children (empty).
mod mat5 {
    use std::io::Write;

    fn element(kind: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(8) * 8, 0);
        out
    }

    fn matrix(class: u8, dims: [i32; 2], name: &str, body: &[Vec<u8>]) -> Vec<u8> {
        let mut data = element(6, &[class, 0, 0, 0, 0, 0, 0, 0]);
        data.extend(element(
            5,
            &[dims[0].to_le_bytes(), dims[1].to_le_bytes()].concat(),
        ));
        data.extend(element(1, name.as_bytes()));
        body.iter().for_each(|b| data.extend_from_slice(b));
        element(14, &data)
    }

    pub fn synsets_file(synsets: &[(u32, &str)], compressed: bool) -> Vec<u8> {
        let names = [b"ILSVRC2012_ID".as_slice(), b"WNID", b"children"]
            .iter()
            .flat_map(|n| {
                let mut padded = n.to_vec();
                padded.resize(32, 0);
                padded
            })
            .collect::<Vec<u8>>();
        // Small-element form for the field name length, as MATLAB writes it.
        let mut body = vec![[5u32 | (4 << 16), 32, 0, 0]
            .iter()
            .take(2)
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>()];
        body.push(element(1, &names));
        for (id, wnid) in synsets {
            body.push(matrix(
                6,
                [1, 1],
                "",
                &[element(9, &f64::from(*id).to_le_bytes())],
            ));
            let utf16: Vec<u8> = wnid.encode_utf16().flat_map(u16::to_le_bytes).collect();
            body.push(matrix(4, [1, wnid.len() as i32], "", &[element(4, &utf16)]));
            // An empty matrix that ends after its name, as leaf synsets' `children`.
            body.push(matrix(6, [0, 0], "", &[]));
        }
        let variable = matrix(2, [synsets.len() as i32, 1], "synsets", &body);
        let mut file = vec![b' '; 116];
        file[..20].copy_from_slice(b"MATLAB 5.0 MAT-file ");
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&0x0100u16.to_le_bytes());
        file.extend_from_slice(b"IM");
        if compressed {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(&variable).expect("compress");
            let packed = z.finish().expect("compress");
            file.extend_from_slice(&15u32.to_le_bytes());
            file.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            file.extend_from_slice(&packed);
        } else {
            file.extend(variable);
        }
        file
    }
}
