{
    fn my_distance((handle, i, j, max_hop): (MatrixHandle, usize, usize, usize)) -> Result<Option<usize>, String> {
        let adj = handle.attach::<u8>().map_err(|e| e.to_string())?;
        path_distance(adj.view(), i, j, max_hop).map_err(|e| e.to_string())
    }
    exercise::demo_2::check_1(&graph, &pair_list, max_hop, my_distance)
}
