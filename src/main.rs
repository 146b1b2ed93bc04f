/// mimalloc rather than the system's allocator: a dashboard allocates a few thousand small
/// values per request across the runtime's threads, and glibc's malloc and free were a fifth
/// of the server's time under load (BENCHMARKS.md, issue 14).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pyramid::cli::main()
}
