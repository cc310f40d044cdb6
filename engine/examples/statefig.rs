fn main() {
    let args: Vec<String> = std::env::args().collect();
    let t = daxlab::trace::Trace::load(std::path::Path::new(&args[1])).unwrap();
    let step = args[3].parse().unwrap();
    let sc = daxlab::figure::state(&t, daxlab::figure::StateAt::Step(step)).unwrap();
    sc.save(std::path::Path::new(&args[2])).unwrap();
}
