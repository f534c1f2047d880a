{
    let my_task = |steps: u64, total: &exercise::rusts_guarantee::CountingMutex| {
        let mut mine = 0u64;
        for _ in 0..steps {
            mine += 1;
        }
        *total.lock() += mine;
    };
    exercise::rusts_guarantee::check_1(my_task)
}
