{
    let questions_per_task = (copy_fare / (0.1 * compute)).ceil() as usize;
    exercise::demo_2::check_2(copy_fare, compute, questions_per_task)
}
