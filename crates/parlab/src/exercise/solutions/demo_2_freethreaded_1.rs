{
    let g = graph.clone();
    let my_task = move |(i, j): (usize, usize)| gil::released(|| g.path_distance(i, j, max_hop));
    exercise::demo_2_freethreaded::check_1(&graph, &pair_list, max_hop, my_task)
}
