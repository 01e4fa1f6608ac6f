//! The `randmid` binary: forwards its arguments to [`randmid::cli::main`].

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(randmid::cli::main(&argv));
}
