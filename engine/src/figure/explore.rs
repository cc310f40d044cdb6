pub struct ExploreFigure;
pub fn explore_figure() {}
