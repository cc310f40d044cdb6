//! The workbench in a browser tab (docs/web.md): the same app, drawn by eframe's WebGL
//! runner on a page's canvas, with the checked-in traces built in.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Starts the workbench on the `<canvas>` with id `canvas_id`, open on the seed race.
#[wasm_bindgen]
pub async fn start(canvas_id: String) -> Result<(), JsValue> {
    let document = document().ok_or_else(|| JsValue::from_str("daxlab: no document to draw in"))?;
    let canvas = document
        .get_element_by_id(&canvas_id)
        .ok_or_else(|| JsValue::from_str(&format!("daxlab: no element with id {canvas_id:?}")))?
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .map_err(|_| JsValue::from_str(&format!("daxlab: element {canvas_id:?} is not a <canvas>")))?;
    eframe::WebRunner::new()
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(|cc| {
                crate::setup_context(&cc.egui_ctx);
                Ok(Box::new(crate::Workbench::default()))
            }),
        )
        .await
}

/// Sets the page title when it changed (touching the DOM every frame is wasted work).
pub fn publish_title(title: &str) {
    if let Some(d) = document().filter(|d| d.title() != title) {
        d.set_title(title);
    }
}

/// Files dropped on the page, read in the background: (file name, bytes or why not).
pub struct Dropped {
    tx: crossbeam_channel::Sender<(String, Result<Vec<u8>, String>)>,
    rx: crossbeam_channel::Receiver<(String, Result<Vec<u8>, String>)>,
}

impl Default for Dropped {
    fn default() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Dropped { tx, rx }
    }
}

impl Dropped {
    pub fn read(&self, file: egui::DroppedFileHandle, ctx: egui::Context) {
        let tx = self.tx.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.path().display().to_string();
            let bytes = file.bytes_async().await.map_err(|e| format!("{name}: {e}"));
            let _ = tx.send((name, bytes));
            ctx.request_repaint();
        });
    }

    pub fn poll(&self) -> Option<(String, Result<Vec<u8>, String>)> {
        self.rx.try_recv().ok()
    }
}

/// Offers `bytes` to the user as a download named `name` (a page cannot write files).
pub fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
    let fail = |what: &str| format!("{name}: the browser refused to {what}");
    let document = document().ok_or_else(|| fail("give the page a document"))?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|_| fail("make a blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("make a URL for the blob"))?;
    let link = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| fail("make a link"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}
