// ArrayStack<T, N> is invariant in T, like TreiberStack.
use racefree::ArrayStack;

fn shorten<'a>(stack: &'a ArrayStack<&'static str, 4>) -> &'a ArrayStack<&'a str, 4> {
    stack
}

fn main() {
    let _ = shorten;
}
