// The coercion itself is refused: `&TreiberStack<&'static str>` is not a
// `&TreiberStack<&'a str>`.
use racefree::TreiberStack;

fn shorten<'a>(stack: &'a TreiberStack<&'static str>) -> &'a TreiberStack<&'a str> {
    stack
}

fn main() {
    let _ = shorten;
}
