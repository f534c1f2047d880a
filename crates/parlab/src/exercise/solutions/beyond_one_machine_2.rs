{
    let item_secs = 20e-6;
    let here = (latency / (0.1 * item_secs)).ceil() as usize;
    let cluster = (10.0 * latency / (0.1 * item_secs)).ceil() as usize;
    exercise::beyond_one_machine::check_2(latency, item_secs, here, cluster)
}
