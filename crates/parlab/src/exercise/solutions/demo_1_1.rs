{
    let my_wait = |i: usize| {
        gil::sleep(std::time::Duration::from_millis(50));
        i
    };
    exercise::demo_1::check_1(my_wait)
}
