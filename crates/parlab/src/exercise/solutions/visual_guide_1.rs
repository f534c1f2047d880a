{
    let processes_for_two_rounds: usize = tasks.div_ceil(2);
    exercise::visual_guide::check_1(tasks, 2, processes_for_two_rounds)
}
