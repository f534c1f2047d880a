{
    let my_count = |n: u64| -> u64 {
        let mut found = 0;
        for x in 0..n {
            gil::tick(); // let a waiting thread have the GIL once the switch interval has passed
            if is_prime(x) {
                found += 1;
            }
        }
        found
    };
    exercise::demo_1c::check_1(my_count)
}
