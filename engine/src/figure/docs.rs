pub struct DocFigure;
pub enum FigureSource {}
pub const DOC_FIGURES: &[DocFigure] = &[];
pub fn render_doc_figure() {}
pub fn write_doc_figures() {}
