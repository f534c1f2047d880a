{
    let picks = [ExecutorKind::Threads, ExecutorKind::Processes, ExecutorKind::Hybrid, ExecutorKind::Threads];
    exercise::visual_guide::check_2(picks)
}
