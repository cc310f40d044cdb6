//! The matrix figure: scenarios down, kernels across; each cell names the failure classes
//! exhaustive exploration found on that kernel and the fewest preemptions each needs. A
//! cell that differs from its scenario's `[expect]` is framed.

use super::FigureError;
use super::scene::{Align, Scene, TextSpec, fit};
use super::style;
use crate::explore::{Cell, Matrix};

const MARGIN: i32 = 20;
const NAME_W: i32 = 250;
const COL_W: i32 = 190;
const HEAD_H: i32 = 34;
const LINE_H: i32 = 15;
const PAD: i32 = 7;

pub fn matrix_figure(m: &Matrix) -> Result<Scene, FigureError> {
    if m.rows.is_empty() || m.kernels.is_empty() {
        return Err(FigureError::Input("the matrix has no scenario or no kernel to draw".into()));
    }
    let width = MARGIN * 2 + NAME_W + COL_W * m.kernels.len() as i32;
    let mut s = Scene::new(width as u32, 100);
    s.text(
        (MARGIN, MARGIN),
        "Scenarios × kernels: what exhaustive exploration finds",
        &TextSpec::new(20.0, style::INK).bold(),
    );
    let mut y = MARGIN + 40;
    let head = TextSpec::new(13.0, style::INK).bold().align(Align::Center);
    for (i, k) in m.kernels.iter().enumerate() {
        let x = MARGIN + NAME_W + i as i32 * COL_W + COL_W / 2;
        s.text((x, y + 8), fit(k, COL_W - 8, &head), &head);
    }
    y += HEAD_H;
    for (r, row) in m.rows.iter().enumerate() {
        let lines = row.cells.iter().map(|c| c.failures.len().max(1)).max().unwrap_or(1) as i32;
        let h = lines * LINE_H + 2 * PAD + LINE_H;
        if r % 2 == 1 {
            s.rect((MARGIN, y), (width - MARGIN, y + h), style::ZEBRA);
        }
        let name = TextSpec::new(13.0, style::INK).bold();
        s.text((MARGIN + 4, y + PAD), fit(&row.scenario, NAME_W - 12, &name), &name);
        let sub = TextSpec::new(10.5, style::MUTED);
        s.text((MARGIN + 4, y + PAD + 18), format!("bound {}", row.bound), &sub);
        for (i, cell) in row.cells.iter().enumerate() {
            let x = MARGIN + NAME_W + i as i32 * COL_W;
            draw_cell(&mut s, cell, (x, y), h);
        }
        y += h;
    }
    let note = "Each class is followed by the fewest preemptions an interleaving reaching it needs. A framed cell differs from what the scenario's [expect] says.";
    let spec = TextSpec::new(11.0, style::MUTED);
    s.text((MARGIN, y + 10), fit(note, width - 2 * MARGIN, &spec), &spec);
    s.height = (y + 26 + MARGIN) as u32;
    Ok(s)
}

fn draw_cell(s: &mut Scene, cell: &Cell, (x, y): (i32, i32), h: i32) {
    let (x0, y0, x1, y1) = (x + 3, y + 3, x + COL_W - 3, y + h - 3);
    let fill = if cell.failures.is_empty() { style::RESTART.alpha(0x24) } else { style::BUG.alpha(0x1c) };
    s.rect((x0, y0), (x1, y1), fill);
    if cell.matches() == Some(false) {
        s.frame((x0, y0), (x1, y1), style::EEXIST, 3);
    }
    let spec = TextSpec::new(11.5, if cell.failures.is_empty() { style::RESTART } else { style::BUG }).mono();
    if cell.failures.is_empty() {
        s.text((x0 + PAD, y0 + PAD), "no failure", &spec);
    }
    for (j, c) in cell.failures.iter().enumerate() {
        let text = fit(&format!("{} · {}", c.class, c.preemptions), COL_W - 2 * PAD - 6, &spec);
        s.text((x0 + PAD, y0 + PAD + j as i32 * LINE_H), text, &spec);
    }
    if cell.matches() == Some(false) {
        let want = cell.expected.as_ref().map(|e| e.iter().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
        let want = if want.is_empty() { "no failure".into() } else { want };
        let spec = TextSpec::new(10.0, style::EEXIST);
        s.text((x0 + PAD, y1 - PAD - 11), fit(&format!("expected: {want}"), COL_W - 2 * PAD - 6, &spec), &spec);
    }
}
