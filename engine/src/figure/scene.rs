//! A figure as a list of shapes in pixel coordinates, and its rendering to SVG or PNG
//! through plotters. Figures are laid out here once and drawn by either backend, so the
//! layout code needs no backend generics and tests can read a scene's texts directly.

use super::FigureError;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontFamily, FontStyle, FontTransform};
use std::sync::Once;

/// The font families registered with plotters. The names are what an SVG says as
/// `font-family`; the layout measures text with the embedded fonts.
pub const SANS: &str = "Ubuntu, Helvetica, Arial, sans-serif";
pub const MONO: &str = "Hack, DejaVu Sans Mono, monospace";

static FONTS: Once = Once::new();

/// Registers the embedded fonts (once per process): no system font library is needed.
pub fn register_fonts() {
    FONTS.call_once(|| {
        let ubuntu = epaint_default_fonts::UBUNTU_LIGHT;
        let hack = epaint_default_fonts::HACK_REGULAR;
        for (family, bytes) in [(SANS, ubuntu), (MONO, hack)] {
            for style in [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic] {
                plotters::style::register_font(family, style, bytes)
                    .unwrap_or_else(|_| unreachable!("the embedded fonts parse"));
            }
        }
    });
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

impl Rgba {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Rgba {
        Rgba(r, g, b, 255)
    }
    pub const fn alpha(self, a: u8) -> Rgba {
        Rgba(self.0, self.1, self.2, a)
    }
    fn to_plotters(self) -> RGBAColor {
        RGBAColor(self.0, self.1, self.2, f64::from(self.3) / 255.0)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TextSpec {
    pub size: f64,
    pub color: Rgba,
    pub mono: bool,
    pub bold: bool,
    pub align: Align,
    /// Vertical text (rotated a quarter turn, reading upwards).
    pub vertical: bool,
}

impl TextSpec {
    pub fn new(size: f64, color: Rgba) -> TextSpec {
        TextSpec { size, color, mono: false, bold: false, align: Align::Left, vertical: false }
    }
    pub fn mono(mut self) -> Self {
        self.mono = true;
        self
    }
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub fn align(mut self, a: Align) -> Self {
        self.align = a;
        self
    }
    pub fn vertical(mut self) -> Self {
        self.vertical = true;
        self
    }
    fn font(&self) -> FontDesc<'static> {
        let family = if self.mono { MONO } else { SANS };
        let style = if self.bold { FontStyle::Bold } else { FontStyle::Normal };
        let font = FontDesc::new(FontFamily::Name(family), self.size, style);
        if self.vertical { font.transform(FontTransform::Rotate270) } else { font }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Rect {
        from: (i32, i32),
        to: (i32, i32),
        fill: Option<Rgba>,
        stroke: Option<(Rgba, u32)>,
    },
    Line {
        points: Vec<(i32, i32)>,
        color: Rgba,
        width: u32,
    },
    Circle {
        center: (i32, i32),
        radius: i32,
        fill: Option<Rgba>,
        stroke: Option<(Rgba, u32)>,
    },
    Polygon {
        points: Vec<(i32, i32)>,
        fill: Rgba,
    },
    /// `at` is the top of the text line, on the left, centre or right per `spec.align`.
    Text {
        at: (i32, i32),
        text: String,
        spec: TextSpec,
    },
}

/// A figure ready to be drawn: its size and its shapes, back to front.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(width: u32, height: u32) -> Scene {
        register_fonts();
        Scene { width, height, shapes: Vec::new() }
    }

    pub fn rect(&mut self, from: (i32, i32), to: (i32, i32), fill: Rgba) {
        self.shapes.push(Shape::Rect { from, to, fill: Some(fill), stroke: None });
    }

    pub fn frame(&mut self, from: (i32, i32), to: (i32, i32), color: Rgba, width: u32) {
        self.shapes.push(Shape::Rect { from, to, fill: None, stroke: Some((color, width)) });
    }

    pub fn line(&mut self, from: (i32, i32), to: (i32, i32), color: Rgba, width: u32) {
        self.shapes.push(Shape::Line { points: vec![from, to], color, width });
    }

    /// A dashed straight line (dash and gap in pixels).
    pub fn dashed(&mut self, from: (i32, i32), to: (i32, i32), color: Rgba, width: u32, dash: f64, gap: f64) {
        let (dx, dy) = (f64::from(to.0 - from.0), f64::from(to.1 - from.1));
        let len = (dx * dx + dy * dy).sqrt();
        if len < 1.0 {
            return;
        }
        let mut t = 0.0;
        while t < len {
            let e = (t + dash).min(len);
            let p = |s: f64| (from.0 + (dx * s / len).round() as i32, from.1 + (dy * s / len).round() as i32);
            self.line(p(t), p(e), color, width);
            t = e + gap;
        }
    }

    /// A line with an arrow head at `to`.
    pub fn arrow(&mut self, from: (i32, i32), to: (i32, i32), color: Rgba, width: u32, dashed: bool) {
        if dashed {
            self.dashed(from, to, color, width, 5.0, 4.0);
        } else {
            self.line(from, to, color, width);
        }
        let (dx, dy) = (f64::from(to.0 - from.0), f64::from(to.1 - from.1));
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let (l, w) = (9.0, 4.5);
        let base = (f64::from(to.0) - ux * l, f64::from(to.1) - uy * l);
        let a = ((base.0 - uy * w).round() as i32, (base.1 + ux * w).round() as i32);
        let b = ((base.0 + uy * w).round() as i32, (base.1 - ux * w).round() as i32);
        self.shapes.push(Shape::Polygon { points: vec![to, a, b], fill: color });
    }

    pub fn circle(&mut self, center: (i32, i32), radius: i32, fill: Option<Rgba>, stroke: Option<(Rgba, u32)>) {
        self.shapes.push(Shape::Circle { center, radius, fill, stroke });
    }

    pub fn text(&mut self, at: (i32, i32), text: impl Into<String>, spec: &TextSpec) {
        self.shapes.push(Shape::Text { at, text: text.into(), spec: spec.clone() });
    }

    /// The scene moved down under a red band that says `text` (a trace that does not
    /// replay as recorded says so above its figure).
    pub fn with_banner(self, text: &str) -> Scene {
        const BAND: i32 = 34;
        let down = |(x, y): (i32, i32)| (x, y.saturating_add(BAND));
        let mut s = Scene::new(self.width, self.height.saturating_add(BAND as u32));
        s.rect((0, 0), (self.width as i32, BAND - 4), super::style::BUG);
        let spec = TextSpec::new(14.0, Rgba::rgb(0xff, 0xff, 0xff)).bold();
        s.text((12, 8), super::scene::fit(text, self.width as i32 - 24, &spec), &spec);
        s.shapes.extend(self.shapes.into_iter().map(|shape| match shape {
            Shape::Rect { from, to, fill, stroke } => Shape::Rect { from: down(from), to: down(to), fill, stroke },
            Shape::Line { points, color, width } => {
                Shape::Line { points: points.into_iter().map(down).collect(), color, width }
            }
            Shape::Circle { center, radius, fill, stroke } => {
                Shape::Circle { center: down(center), radius, fill, stroke }
            }
            Shape::Polygon { points, fill } => Shape::Polygon { points: points.into_iter().map(down).collect(), fill },
            Shape::Text { at, text, spec } => Shape::Text { at: down(at), text, spec },
        }));
        s
    }

    /// Every text of the scene, in drawing order (what tests look for).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.shapes.iter().filter_map(|s| match s {
            Shape::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }

    pub fn to_svg(&self) -> Result<String, FigureError> {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (self.width, self.height)).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(draw_err)?;
        }
        Ok(out)
    }

    pub fn to_png(&self) -> Result<Vec<u8>, FigureError> {
        let (w, h) = (self.width, self.height);
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(draw_err)?;
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        enc.set_filter(png::FilterType::Paeth);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut writer = enc.write_header().map_err(|e| FigureError::Draw(e.to_string()))?;
        writer.write_image_data(&rgb).map_err(|e| FigureError::Draw(e.to_string()))?;
        writer.finish().map_err(|e| FigureError::Draw(e.to_string()))?;
        Ok(out)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> Result<(), FigureError> {
        root.fill(&WHITE).map_err(draw_err)?;
        for s in &self.shapes {
            draw_shape(root, s).map_err(draw_err)?;
        }
        Ok(())
    }
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> FigureError {
    FigureError::Draw(e.to_string())
}

fn style(color: Rgba, filled: bool, width: u32) -> ShapeStyle {
    ShapeStyle { color: color.to_plotters(), filled, stroke_width: width }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_shape<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, s: &Shape) -> DrawResult<DB> {
    match s {
        Shape::Rect { from, to, fill, stroke } => {
            if let Some(f) = fill {
                root.draw(&Rectangle::new([*from, *to], style(*f, true, 0)))?;
            }
            if let Some((c, w)) = stroke {
                root.draw(&Rectangle::new([*from, *to], style(*c, false, *w)))?;
            }
        }
        Shape::Line { points, color, width } => {
            root.draw(&PathElement::new(points.clone(), style(*color, false, *width)))?;
        }
        Shape::Circle { center, radius, fill, stroke } => {
            if let Some(f) = fill {
                root.draw(&Circle::new(*center, *radius, style(*f, true, 0)))?;
            }
            if let Some((c, w)) = stroke {
                root.draw(&Circle::new(*center, *radius, style(*c, false, *w)))?;
            }
        }
        Shape::Polygon { points, fill } => {
            root.draw(&plotters::element::Polygon::new(points.clone(), style(*fill, true, 0)))?;
        }
        Shape::Text { at, text, spec } => {
            let h = match spec.align {
                Align::Left => HPos::Left,
                Align::Center => HPos::Center,
                Align::Right => HPos::Right,
            };
            let st = spec.font().color(&spec.color.to_plotters()).pos(Pos::new(h, VPos::Top));
            root.draw(&Text::new(for_backend::<DB>(text, spec.mono), *at, st))?;
        }
    }
    Ok(())
}

/// The embedded sans-serif face has no arrows: bitmaps get ASCII ones (an SVG keeps the
/// text as it is; the viewer's fonts have them).
fn for_backend<DB: DrawingBackend>(text: &str, mono: bool) -> String {
    let svg = std::any::type_name::<DB>().contains("SVGBackend");
    if svg || mono {
        return text.to_string();
    }
    text.replace('→', "->").replace('←', "<-")
}

/// The width of `text` in pixels, measured with the embedded font (SVG viewers substitute
/// their own font of the same family, so layouts leave some slack).
pub fn text_width(text: &str, spec: &TextSpec) -> i32 {
    register_fonts();
    let font = FontDesc::new(
        FontFamily::Name(if spec.mono { MONO } else { SANS }),
        spec.size,
        if spec.bold { FontStyle::Bold } else { FontStyle::Normal },
    );
    let w = font.box_size(text).map_or(text.chars().count() as u32 * spec.size as u32 / 2, |(w, _)| w);
    // Bold text is drawn with the same (light) face in PNGs but bold in SVG viewers.
    let slack = if spec.bold { 1.12 } else { 1.06 };
    (f64::from(w) * slack).ceil() as i32
}

/// Greedy word wrap of `text` into lines no wider than `width` pixels.
pub fn wrap(text: &str, width: i32, spec: &TextSpec) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let candidate = if cur.is_empty() { word.to_string() } else { format!("{cur} {word}") };
        if cur.is_empty() || text_width(&candidate, spec) <= width {
            cur = candidate;
        } else {
            lines.push(std::mem::replace(&mut cur, word.to_string()));
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `text` cut to fit `width` pixels, with an ellipsis when cut.
pub fn fit(text: &str, width: i32, spec: &TextSpec) -> String {
    if text_width(text, spec) <= width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let s: String = chars[..mid].iter().collect::<String>() + "…";
        if text_width(&s, spec) <= width { lo = mid } else { hi = mid - 1 }
    }
    chars[..lo].iter().collect::<String>() + "…"
}
