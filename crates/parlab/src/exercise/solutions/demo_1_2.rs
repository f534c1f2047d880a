{
    let can_take = [true, true, false, false];
    exercise::demo_1::check_2(can_take)
}
