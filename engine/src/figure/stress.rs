pub struct StressResults;
pub struct StressRun;
pub struct StressSample;
pub fn stress_figure() {}
