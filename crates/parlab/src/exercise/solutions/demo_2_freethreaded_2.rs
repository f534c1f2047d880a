{
    let product = seq.task_time() / pairs as f64;
    let bitset = bitset_seq.task_time() / pairs as f64;
    let cores_needed = (product / bitset).ceil() as usize;
    exercise::demo_2_freethreaded::check_2(product, bitset, cores_needed)
}
