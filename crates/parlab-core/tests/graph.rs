//! Graph and path distances: the two algorithms agree with each other and
//! with a plain BFS; bad input is refused before any allocation. (The demo
//! runner built on them is tested in `demo.rs`.)

use std::collections::VecDeque;

use ndarray::Array2;
use parlab_core::Error;
use parlab_core::graph::{BitGraph, Graph, pack_rows, path_distance, path_distance_bits, path_distance_task};
use proptest::prelude::*;

/// The obvious answer, for reference.
fn bfs(adj: &Array2<u8>, i: usize, j: usize, max_hop: usize) -> Option<usize> {
    let m = adj.nrows();
    let mut dist = vec![usize::MAX; m];
    dist[i] = 0;
    let mut queue = VecDeque::from([i]);
    while let Some(u) = queue.pop_front() {
        for v in 0..m {
            if adj[[u, v]] != 0 && dist[v] == usize::MAX {
                dist[v] = dist[u] + 1;
                queue.push_back(v);
            }
        }
    }
    (dist[j] <= max_hop).then_some(dist[j])
}

fn matrix_strategy() -> impl Strategy<Value = Array2<u8>> {
    (1usize..70, 0.0f64..0.3).prop_flat_map(|(m, p)| {
        // Any nonzero byte is an edge; self-loops allowed.
        proptest::collection::vec((0.0f64..1.0, prop::sample::select(vec![1u8, 2, 255])), m * m)
            .prop_map(move |cells| cells.into_iter().map(|(roll, x)| if roll < p { x } else { 0 }).collect::<Vec<u8>>())
            .prop_map(move |v| Array2::from_shape_vec((m, m), v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn product_and_bitset_agree_with_bfs(adj in matrix_strategy(), seed in any::<u64>(), extra in 0usize..4) {
        let m = adj.nrows();
        let bits = pack_rows(adj.view()).unwrap();
        let max_hop = (seed as usize % (m + 2)) + extra;
        for (i, j) in Graph::random_pairs(m, 12, seed).unwrap().into_iter().chain([(0, 0), (m - 1, 0)]) {
            let product = path_distance(adj.view(), i, j, max_hop).unwrap();
            let bitset = path_distance_bits(bits.view(), i, j, max_hop).unwrap();
            prop_assert_eq!(product, bitset, "i={} j={} max_hop={}", i, j, max_hop);
            prop_assert_eq!(product, bfs(&adj, i, j, max_hop));
        }
    }

    #[test]
    fn random_graphs_agree(m in 1usize..300, fraction in 0.0f64..0.05, seed in any::<u64>()) {
        let g = Graph::random(m, fraction, seed).unwrap();
        let bits = g.to_bits().unwrap();
        for (i, j) in Graph::random_pairs(m, 10, seed ^ 1).unwrap() {
            prop_assert_eq!(g.path_distance(i, j, 10).unwrap(), bits.path_distance(i, j, 10).unwrap());
        }
    }
}

#[test]
fn distances_on_a_path_graph() {
    // 0 → 1 → 2 → 3 → 4, nothing back.
    let adj = Array2::from_shape_fn((5, 5), |(r, c)| u8::from(c == r + 1));
    let g = Graph::from_matrix(adj).unwrap();
    let b = g.to_bits().unwrap();
    for (i, j, hop, want) in [
        (0, 4, 10, Some(4)),
        (0, 4, 4, Some(4)),
        (0, 4, 3, None),    // one hop short
        (4, 0, 10, None),   // unreachable
        (2, 2, 0, Some(0)), // i → i is the empty path, even with max_hop 0
        (2, 2, 10, Some(0)),
        (0, 1, 0, None),
    ] {
        assert_eq!(g.path_distance(i, j, hop).unwrap(), want, "{i}→{j} ≤{hop}");
        assert_eq!(b.path_distance(i, j, hop).unwrap(), want, "{i}→{j} ≤{hop} (bits)");
    }
}

#[test]
fn i_to_i_ignores_cycles_and_self_loops() {
    let mut adj = Array2::<u8>::zeros((3, 3));
    adj[[0, 0]] = 1;
    adj[[0, 1]] = 1;
    adj[[1, 0]] = 1;
    assert_eq!(path_distance(adj.view(), 0, 0, 5).unwrap(), Some(0));
    assert_eq!(path_distance(adj.view(), 0, 1, 5).unwrap(), Some(1));
}

#[test]
fn garbage_past_the_last_column_is_ignored() {
    // 3 nodes, no edges, but every bit of every word set past column 2.
    let bits = Array2::from_elem((3, 1), !0b111u64);
    assert_eq!(path_distance_bits(bits.view(), 0, 2, 10).unwrap(), None);
    let mut full = Array2::from_elem((3, 1), u64::MAX);
    full[[0, 0]] = u64::MAX; // 0 → everything, including columns that do not exist
    assert_eq!(path_distance_bits(full.view(), 0, 2, 10).unwrap(), Some(1));
}

#[test]
fn random_graphs_are_seeded_loop_free_and_about_the_right_density() {
    let a = Graph::random(400, 0.05, 11).unwrap();
    assert_eq!(a, Graph::random(400, 0.05, 11).unwrap());
    assert_ne!(a, Graph::random(400, 0.05, 12).unwrap());
    assert!((0..400).all(|i| a.matrix()[[i, i]] == 0));
    let expected = 0.05 * 400.0 * 399.0;
    let edges = a.edges() as f64;
    assert!((edges - expected).abs() < 0.2 * expected, "{edges} edges, expected about {expected}");
    assert_eq!(Graph::random(50, 0.0, 1).unwrap().edges(), 0);
    assert_eq!(Graph::random(50, 1.0, 1).unwrap().edges(), 50 * 49);
    assert_eq!(Graph::random(1, 1.0, 1).unwrap().path_distance(0, 0, 0).unwrap(), Some(0));
}

fn invalid(r: parlab_core::Result<impl std::fmt::Debug>, needle: &str) {
    match r {
        Err(Error::InvalidArgument(msg)) => {
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}")
        }
        other => panic!("expected InvalidArgument containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn bad_input_is_refused_with_a_sentence() {
    for f in [-0.1, 1.0001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        invalid(Graph::random(10, f, 0), "fraction");
    }
    invalid(Graph::random(0, 0.5, 0), "M = 0");
    // Too big for memory: refused before allocating (this would be exabytes).
    invalid(Graph::random(1 << 31, 0.5, 0), "available");
    invalid(Graph::random(usize::MAX, 0.5, 0), "available");
    let g = Graph::random(10, 0.5, 0).unwrap();
    invalid(g.path_distance(10, 0, 3), "i = 10");
    invalid(g.path_distance(0, usize::MAX, 3), "j = ");
    invalid(g.to_bits().unwrap().path_distance(0, 10, 3), "j = 10");
    invalid(Graph::from_matrix(Array2::zeros((2, 3))), "square");
    invalid(Graph::from_matrix(Array2::zeros((0, 0))), "M = 0");
    invalid(path_distance(Array2::<u8>::zeros((2, 3)).view(), 0, 0, 1), "square");
    invalid(path_distance_bits(Array2::<u64>::zeros((65, 1)).view(), 0, 0, 1), "ceil");
    invalid(BitGraph::from_words(Array2::zeros((0, 0))), "M > 0");
    invalid(Graph::random_pairs(0, 3, 0), "M = 0");
    // A process task reports, never panics.
    assert!(path_distance_task((g, 0, 99, 3)).unwrap_err().contains("j = 99"));
}

#[test]
fn a_graph_serialises_whole_and_prints_short() {
    let g = Graph::random(64, 0.1, 5).unwrap();
    let bytes = json_roundtrip(&g);
    assert!(bytes >= 64 * 64, "the whole matrix travels: {bytes} bytes");
    let text = format!("{g:?}");
    assert!(text.len() < 40, "{text}");
    let bits = g.to_bits().unwrap();
    json_roundtrip(&bits);
}

fn json_roundtrip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) -> usize {
    let json = serde_json::to_vec(v).unwrap();
    let back: T = serde_json::from_slice(&json).unwrap();
    assert_eq!(&back, v);
    json.len()
}

#[test]
fn a_non_square_matrix_does_not_deserialise_into_a_graph() {
    let json = serde_json::to_string(&Array2::<u8>::zeros((2, 3))).unwrap();
    assert!(serde_json::from_str::<Graph>(&json).is_err());
}

/// Runs `f` on its own thread and fails (instead of hanging the suite) if it
/// has not finished within a generous 20 s.
fn within_20s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap_or_else(|_| panic!("{what} did not return within 20 s"))
}

#[test]
fn an_unreachable_target_stops_the_product_method_however_large_max_hop_is() {
    // 0 ⇄ 1, and 2 unreachable from either: the "exactly h hops" vector cycles
    // {1}, {0}, {1}, … forever, so only the reached set can tell it to stop.
    let mut adj = Array2::<u8>::zeros((3, 3));
    adj[[0, 1]] = 1;
    adj[[1, 0]] = 1;
    let g = Graph::from_matrix(adj).unwrap();
    let bits = g.to_bits().unwrap();
    let product = within_20s("the product method", {
        let g = g.clone();
        move || {
            (
                g.path_distance(0, 2, usize::MAX).unwrap(),
                g.path_distance(1, 2, usize::MAX).unwrap(),
                g.path_distance(0, 1, usize::MAX).unwrap(),
                g.path_distance(2, 0, usize::MAX).unwrap(),
            )
        }
    });
    let bitset = within_20s("the bitset method", move || {
        (
            bits.path_distance(0, 2, usize::MAX).unwrap(),
            bits.path_distance(1, 2, usize::MAX).unwrap(),
            bits.path_distance(0, 1, usize::MAX).unwrap(),
            bits.path_distance(2, 0, usize::MAX).unwrap(),
        )
    });
    assert_eq!(product, (None, None, Some(1), None)); // 2 has no out-edges at all
    assert_eq!(product, bitset);
}
