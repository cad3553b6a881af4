import time, cProfile, pstats
def test_t(request):
    t0=time.perf_counter()
    app = request.getfixturevalue("app")
    t1=time.perf_counter()
    w = request.getfixturevalue("world")
    t2=time.perf_counter()
    x = request.getfixturevalue("xworld")
    t3=time.perf_counter()
    c = request.getfixturevalue("as_user")("staff_a")
    t4=time.perf_counter()
    print("\napp", t1-t0, "world", t2-t1, "x", t3-t2, "login", t4-t3)
