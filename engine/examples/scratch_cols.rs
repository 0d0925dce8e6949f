#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mode = std::env::args().nth(2).unwrap_or("cols".into());
    let data = std::fs::read(&path).unwrap();
    let mut n = 0usize;
    for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match mode.as_str() {
            "cols" => { let c = trackershark_engine::columns(line); n += c.info.len(); }
            "full" => { let d = trackershark_engine::dissect(line); n += d.items.len(); }
            "both" => { let (i, c) = trackershark_engine::classify_and_columns(line); n += i.json_start + c.map_or(0, |c| c.info.len()); }
            _ => { let c = trackershark_engine::classify(line); n += c.json_start; }
        }
    }
    println!("{n}");
}
