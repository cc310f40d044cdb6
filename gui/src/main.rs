//! `daxlab-gui [TRACE | CHALLENGE.toml]`: opens the workbench on a trace file, on a level of
//! the challenge pack, or on the seed race.

fn main() -> eframe::Result {
    let path = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("daxlab — the v4.11 DAX radix-tree insertion race")
            .with_inner_size([1600.0, 1000.0]),
        ..Default::default()
    };
    eframe::run_native(
        "daxlab",
        options,
        Box::new(move |cc| {
            daxlab_gui::setup_context(&cc.egui_ctx);
            Ok(Box::new(daxlab_gui::Workbench::from_args(path)))
        }),
    )
}
