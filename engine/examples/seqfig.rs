fn main() {
    let args: Vec<String> = std::env::args().collect();
    let t = daxlab::trace::Trace::load(std::path::Path::new(&args[1])).unwrap();
    let from = args.get(3).map(|s| s.parse().unwrap());
    let to = args.get(4).map(|s| s.parse().unwrap());
    let sc = daxlab::figure::sequence(&t, daxlab::figure::StepRange { from, to }).unwrap();
    sc.save(std::path::Path::new(&args[2])).unwrap();
}
