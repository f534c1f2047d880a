{
    // (Send, Sync) for Rc<u64>, Arc<u64>, RefCell<u64>, Mutex<u64>, Cell<u64>
    let answers = [(false, false), (true, true), (true, false), (true, true), (true, false)];
    exercise::rusts_guarantee::check_2(answers)
}
