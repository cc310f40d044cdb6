//! The browser build, end to end: web/build.sh makes the static folder, and headless
//! Chromium (WebGL through SwiftShader, no GPU) loads it twice: served by a small HTTP server
//! here, and opened from disk. Virtual time runs ahead while the page waits for the
//! WebAssembly compiler, hence the large virtual-time budget; the real wait is seconds. The
//! page must draw a first frame that shows the seed race: the page title the app publishes
//! every frame must be the native workbench's status line, and a screenshot must show the
//! timeline's thread lanes and the BUG marker.
//!
//! Needs the wasm32 target, wasm-bindgen and Chromium (`./test` installs them; docs/web.md).
//! Built with `DAXLAB_SKIP_WEB_TEST=1` set (see gui/build.rs), it is an ignored test, and
//! `cargo test` reports it as ignored.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("gui/ has a parent").to_path_buf()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daxlab-web-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn build_bundle(out: &Path) {
    // Without cargo's per-package variables of this test run, the nested build shares its
    // artifacts with a plain `web/build.sh` instead of rebuilding them.
    let mut build = Command::new(workspace().join("web/build.sh"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if (key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR") || key == "LD_LIBRARY_PATH" {
            build.env_remove(key);
        }
    }
    let status = build.arg(out).status().expect("web/build.sh runs (it is a POSIX sh script)");
    assert!(status.success(), "web/build.sh failed ({status}); see its message above");
    for f in ["index.html", "daxlab_gui.js", "daxlab_wasm.js"] {
        assert!(out.join(f).is_file(), "web/build.sh made no {f}");
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        _ => "application/octet-stream",
    }
}

/// Answers GET requests for files directly inside `root`; anything else is a 404.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || answer(stream, &root));
        }
    });
    format!("http://{addr}")
}

fn answer(mut stream: TcpStream, root: &Path) {
    let mut request = String::new();
    if BufReader::new(&stream).read_line(&mut request).is_err() {
        return;
    }
    let name = request.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
    let name = if name.is_empty() { "index.html" } else { name };
    let file = (!name.contains('/') && !name.contains("..")).then(|| root.join(name));
    let reply = match file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        Some(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                content_type(file.as_deref().expect("read, so present")),
                body.len()
            );
            [head.into_bytes(), body].concat()
        }
        None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    let _ = stream.write_all(&reply);
}

fn chromium() -> String {
    if let Ok(c) = std::env::var("DAXLAB_CHROMIUM") {
        return c;
    }
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(c).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
            return c.to_string();
        }
    }
    panic!("no Chromium found (apt install chromium, or set DAXLAB_CHROMIUM); DAXLAB_SKIP_WEB_TEST=1 skips this test")
}

/// Runs headless Chromium on `url` with `extra` arguments and returns its stdout; a browser
/// that hangs is killed after two minutes.
fn headless(url: &str, profile: &Path, extra: &[String]) -> String {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            // Containers often give /dev/shm only 64 MB, too little for a renderer.
            "--disable-dev-shm-usage",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            "--window-size=1280,800",
            "--virtual-time-budget=600000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Chromium starts");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("Chromium can be waited for").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("headless Chromium did not finish within two minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("the reader thread")
}

fn title_of(dom: &str) -> Option<String> {
    let start = dom.find("<title>")? + "<title>".len();
    let end = start + dom[start..].find("</title>")?;
    Some(dom[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
}

/// How many pixels are within `tolerance` (per channel) of `colour`.
fn pixels_near(rgba: &[u8], colour: egui::Color32, tolerance: u8) -> usize {
    let near = |a: u8, b: u8| a.abs_diff(b) <= tolerance;
    rgba.chunks_exact(4).filter(|p| near(p[0], colour.r()) && near(p[1], colour.g()) && near(p[2], colour.b())).count()
}

fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("Chromium wrote a screenshot");
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgba, "expanded to RGBA");
    (info.width, info.height, buf)
}

/// The page title after the first frame: the app publishes its status line there every
/// frame, while the loading page's title is plain "daxlab". A slow machine gets a second look.
fn first_frame_title(url: &str, scratch: &Path) -> String {
    let mut title = None;
    for attempt in 0..3 {
        let profile = scratch.join(format!("profile-{}-{attempt}", url.len()));
        let dom = headless(url, &profile, &["--dump-dom".into()]);
        title = title_of(&dom);
        if title.as_deref() != Some("daxlab") {
            break;
        }
    }
    title.unwrap_or_else(|| panic!("Chromium printed no page with a <title> for {url}"))
}

#[test]
#[cfg_attr(daxlab_skip_web_test, ignore = "DAXLAB_SKIP_WEB_TEST is set")]
fn the_browser_build_loads_in_headless_chromium_and_shows_the_seed_race() {
    let dir = scratch();
    let bundle = dir.join("web");
    build_bundle(&bundle);
    let expected = daxlab_gui::Workbench::default().status_line();
    assert!(expected.contains("seed-race") && expected.contains("pte-under-huge-pmd"), "{expected}");
    // Hosted by a web server, and opened from disk as a lecturer might.
    let hosted = format!("{}/index.html", serve(bundle.clone()));
    let local = format!("file://{}", bundle.join("index.html").display());
    for url in [&hosted, &local] {
        let title = first_frame_title(url, &dir);
        assert_eq!(title, expected, "{url} shows what the native workbench shows on start");
    }

    let shot = dir.join("shot.png");
    headless(&local, &dir.join("profile-shot"), &[format!("--screenshot={}", shot.display())]);
    let (w, h, rgba) = decode_png(&shot);
    assert_eq!((w, h), (1280, 800));
    for (what, colour) in [
        ("T1's timeline lane", daxlab_gui::theme::thread(0)),
        ("T2's timeline lane", daxlab_gui::theme::thread(1)),
        ("the BUG marker", daxlab_gui::theme::BUG),
    ] {
        let n = pixels_near(&rgba, colour, 24);
        assert!(n >= 400, "the screenshot has only {n} pixels of {what}'s colour: was the seed race drawn?");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
