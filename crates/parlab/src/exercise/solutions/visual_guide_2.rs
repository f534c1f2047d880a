{
    use ExecutorKind::*;
    let picks = [Threads, Processes, Hybrid, Threads];
    exercise::visual_guide::check_2(picks)
}
