{
    fn first_finished(pool: &ThreadPool, tasks: usize) -> Result<usize> {
        let futures = (0..tasks).map(|i| pool.submit(delayed_return, i)).collect::<Result<Vec<_>>>()?;
        match as_completed(futures).next() {
            Some(future) => future.result(),
            None => Err(Error::InvalidArgument("no tasks".into())),
        }
    }
    exercise::demo_1b::check_2(tasks, first_finished)
}
