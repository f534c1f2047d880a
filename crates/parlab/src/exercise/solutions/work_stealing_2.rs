{
    // Deal the sorted tasks out in turn: task 0 to chunk 0, task 1 to chunk 1, ..., then again.
    let my_order: Vec<(u64, u64)> = (0..workers).flat_map(|w| args.iter().skip(w).step_by(workers)).copied().collect();
    exercise::work_stealing::check_2(workers, &args, &my_order)
}
