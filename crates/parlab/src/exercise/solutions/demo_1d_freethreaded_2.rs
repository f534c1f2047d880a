{
    let (threads, processes) = (ExecutorKind::Threads, ExecutorKind::Processes);
    let picks = [(threads, true), (threads, false), (processes, true), (threads, false)]; // (kind, GIL on?)
    exercise::demo_1d_freethreaded::check_2(picks)
}
