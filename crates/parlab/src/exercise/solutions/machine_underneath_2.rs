{
    use std::sync::atomic::AtomicU64;
    let my_slots: Vec<machine::CachePadded<AtomicU64>> = (0..2).map(|_| machine::CachePadded::new(AtomicU64::new(0))).collect();
    exercise::machine_underneath::check_2(&my_slots, |slot| &**slot)
}
