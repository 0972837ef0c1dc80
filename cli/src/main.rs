//! The `shipgate` binary.

fn main() -> std::process::ExitCode {
    shipgate_cli::main()
}
