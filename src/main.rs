fn main() -> std::process::ExitCode {
    pyramid::cli::main()
}
