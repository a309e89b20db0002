package txn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/faultproxy"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/txn"
	"github.com/pgwal/pgwal/wire"
)

// TestFaults runs, on every version, the workload (three rounds of two sessions: > 20,000
// rows) while the consumer, reading through wire.Units behind a fault
// proxy, loses its connection in every way: client-side cuts (FIN and RST)
// in the proxy, its walsender terminated with pg_terminate_backend, and
// the server restarted with pg_ctl -m immediate. The consumer stores its
// position with its applied data in one atomic write, as the procedure
// says. t_truth, written by the database in the same transactions as the
// rows, and the tables themselves say what was committed: nothing may be
// lost, applied twice, or applied without having been committed.
func TestFaults(t *testing.T) {
	for _, v := range pgserver.VersionsT(t) {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			t.Parallel()
			faultRun(t, v)
		})
	}
}

func faultRun(t *testing.T, v int) {
	s := itStart(t, v)
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	p, err := faultproxy.New(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	store := newStore()
	spill := t.TempDir()
	retryErrs := map[string]int{}
	var retryMu sync.Mutex
	u, err := wire.NewUnits(wire.UnitsConfig{
		Slot:      itSlot,
		Options:   itOptions(v),
		Assembler: txn.Options{MemoryBudget: itBudget, SpillDir: spill},
		Dial: func(ctx context.Context) (*wire.Conn, error) {
			cfg, err := wire.ParseConfig("postgres://postgres@" + p.Addr() + "/postgres?replication=database&sslmode=disable&connect_timeout=5")
			if err != nil {
				return nil, err
			}
			return wire.Connect(ctx, cfg)
		},
		Position:   store.Position,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond,
		OnRetry: func(err error) {
			retryMu.Lock()
			k := err.Error()
			if len(k) > 60 {
				k = k[:60]
			}
			retryErrs[k]++
			retryMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close(ctx)

	// The faults, while the workload runs and the consumer reads.
	var cuts, kills, restarts atomic.Int32
	stop := make(chan struct{})
	injected := make(chan struct{})
	go func() {
		defer close(injected)
		plan := []string{"cut", "kill", "cut", "restart", "kill", "cut", "kill", "restart", "cut", "kill", "cut"}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(60+40*(i%4)) * time.Millisecond):
			}
			switch plan[i%len(plan)] {
			case "cut":
				mode := faultproxy.RST
				if i%2 == 0 {
					mode = faultproxy.FIN
				}
				for _, c := range p.Conns() {
					c.Cut(mode)
					cuts.Add(1)
				}
			case "kill":
				out, err := s.Exec(ctx, "SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots WHERE slot_name = '"+itSlot+"' AND active_pid IS NOT NULL")
				if err == nil && out == "1" {
					kills.Add(1)
				}
			case "restart":
				if restarts.Load() >= 3 {
					continue
				}
				if err := s.Restart(ctx, "immediate"); err != nil {
					t.Errorf("restart: %v", err)
					return
				}
				restarts.Add(1)
			}
		}
	}()

	// The workload, its sessions reconnecting after a restart.
	werr := make(chan error, 1)
	go func() { werr <- faultWorkload(ctx, s, 2, 3) }()

	type result struct {
		st   itStats
		done bool
	}
	res := make(chan result, 1)
	go func() {
		defer func() {
			select {
			case res <- result{}: // itConsume failed the test and exited
			default:
			}
		}()
		st := itConsume(ctx, t, u, store, spill, v)
		res <- result{st, true}
	}()
	if err := <-werr; err != nil {
		close(stop)
		t.Fatalf("workload: %v", err)
	}
	// Keep injecting until the consumer has seen at least one of each.
	for cuts.Load() == 0 || kills.Load() == 0 || restarts.Load() < 2 {
		if ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	<-injected
	if _, err := s.Exec(ctx, "SELECT pg_logical_emit_message(false, '"+itEnd+"', 'done')"); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if !r.done {
		t.FailNow()
	}
	rows := itCompare(ctx, t, s, store)
	itCommitOrder(ctx, t, s, r.st.commits)
	us := u.Stats()
	t.Logf("pg%d: %d rows, %d units applied (%d streamed, %d stream aborts, %d prepared, %d commit / %d rollback prepared), %d proxy cuts, %d walsender kills, %d immediate restarts; %d sessions, %d retries, %d units sent again and skipped as applied (End <= stored), %d partly received streamed transactions discarded, %d units interrupted mid-delivery and discarded; 0 lost, 0 duplicated, 0 uncommitted applied",
		v, rows, r.st.units, r.st.streamed, r.st.aborts, r.st.prepared, r.st.commitPrepared, r.st.rollbackPrepared,
		cuts.Load(), kills.Load(), restarts.Load(), us.Sessions, us.Retries, us.Skipped, us.Discarded, r.st.restartedUnits)
	retryMu.Lock()
	t.Logf("retried errors: %v", retryErrs)
	retryMu.Unlock()
	if rows < 20000 {
		t.Errorf("only %d rows", rows)
	}
	// Every restart breaks the session; a cut or a kill may land while the
	// consumer is between sessions (backing off after another fault) and
	// break nothing, so at least one of them, not each, must have made
	// the consumer reconnect.
	if restarts.Load() < 2 || cuts.Load()+kills.Load() == 0 || us.Retries < int(restarts.Load())+1 {
		t.Errorf("%d retries for %d cuts, %d kills, %d restarts", us.Retries, cuts.Load(), kills.Load(), restarts.Load())
	}
}

// faultWorkload runs the workload and goes on after the server restarts:
// a session whose connection breaks reconnects and goes on with the next
// transaction (the broken one is rolled back by the server, or stays
// prepared), retries a COMMIT or ROLLBACK PREPARED, and at the end every
// prepared transaction left over is rolled back.
func faultWorkload(ctx context.Context, s *pgserver.Server, sessions, rounds int) error {
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	connect := func() (*wire.Conn, error) {
		for {
			c, err := wire.ConnectString(ctx, s.DSN("", "", "postgres"))
			if err == nil {
				return c, nil
			}
			if ctx.Err() != nil {
				return nil, err
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := connect()
			if err != nil {
				errs <- err
				return
			}
			defer func() { c.Close() }()
			for r := 0; r < rounds; r++ {
				steps := workload(s.Major(), i, r)
				for k := 0; k < len(steps); k++ {
					step := steps[k]
					_, err := c.Exec(ctx, step)
					if err == nil {
						continue
					}
					var se *wire.ServerError
					if errors.As(err, &se) && !wire.IsRetryable(err) {
						if se.Code == "42704" && strings.Contains(step, " PREPARED ") {
							continue // committed or rolled back before the break
						}
						errs <- fmt.Errorf("session %d: %.80s: %w", i, step, err)
						return
					}
					c.Close()
					if c, err = connect(); err != nil {
						errs <- err
						return
					}
					if strings.Contains(step, " PREPARED ") {
						k-- // once more: it may not have run
						continue
					}
					for k+1 < len(steps) && !strings.HasPrefix(steps[k+1], "BEGIN") && !strings.Contains(steps[k+1], " PREPARED ") {
						k++ // the rest of the broken transaction
					}
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	for {
		out, err := s.Exec(ctx, "SELECT gid FROM pg_prepared_xacts")
		if err == nil && out != "" {
			for _, g := range strings.Split(out, "\n") {
				if _, err = s.Exec(ctx, "ROLLBACK PREPARED "+pgserver.QuoteLiteral(g)); err != nil {
					break
				}
			}
		}
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
