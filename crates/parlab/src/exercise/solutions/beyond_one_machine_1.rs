{
    let ran_on: Vec<(String, usize)> =
        two.tasks.iter().map(|t| (two.hosts[t.lane.host as usize].clone(), t.lane.worker + 1)).collect();
    exercise::beyond_one_machine::check_1(&two, &ran_on)
}
