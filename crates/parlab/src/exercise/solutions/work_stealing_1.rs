{
    let min_len = 1;
    exercise::work_stealing::check_1(workers, &args, min_len)
}
