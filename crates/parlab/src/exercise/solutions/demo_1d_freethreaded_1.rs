{
    let for_the_fare = (fare / (0.05 * item_secs)).ceil() as usize; // the fare ≤ 5% of a chunk's work
    let for_balance = items / (4 * workers); // at least 4 chunks per worker
    let chunksize = for_the_fare.min(for_balance).max(1);
    exercise::demo_1d_freethreaded::check_1(chunksize, items, workers, fare, item_secs)
}
