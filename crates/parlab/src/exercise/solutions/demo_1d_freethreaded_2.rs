{
    use ExecutorKind::*;
    let picks = [(Threads, true), (Threads, false), (Processes, true), (Threads, false)];
    exercise::demo_1d_freethreaded::check_2(picks)
}
