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

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}
