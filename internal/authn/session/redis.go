package session

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configures the Redis backend.
type RedisOptions struct {
	// Address is host:port of a Redis server (standalone).
	Address  string
	Username string
	Password string
	DB       int
	// TLS, when set, is used to connect (nil: plain TCP, loopback only).
	TLS *tls.Config
	// KeyPrefix starts every key this backend writes (default
	// "portcullis:session:").
	KeyPrefix string
	// DialTimeout and Timeout (per command) default to 2s and 1s: a slow
	// store must fail requests quickly rather than pile them up.
	DialTimeout time.Duration
	Timeout     time.Duration
	// LockPoll is the delay between attempts to take a busy lock (default 20ms).
	LockPoll time.Duration
}

// Redis is the Backend shared by several proxy replicas. Keys (with the
// prefix): s:<key> the sealed session with the idle timeout as its TTL;
// u:<owner> a sorted set of a user's session keys by creation time;
// sid:<sid> a set of a provider session's keys; lock:<key> the update
// lock, a random token with a renewed TTL; once:<key> a claimed one-time
// key (see Claim).
type Redis struct {
	c      *redis.Client
	prefix string
	poll   time.Duration
}

// NewRedis connects lazily: the first command dials. Use Ping to check.
func NewRedis(o RedisOptions) (*Redis, error) {
	if o.Address == "" {
		return nil, errors.New("session: redis address is required")
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "portcullis:session:"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.LockPoll <= 0 {
		o.LockPoll = 20 * time.Millisecond
	}
	c := redis.NewClient(&redis.Options{
		Addr: o.Address, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLS,
		DialTimeout: o.DialTimeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout,
		// A store that is down must fail requests in milliseconds, not
		// after seconds of retries: one retry of a command, one re-dial.
		MaxRetries: 1, MinRetryBackoff: 10 * time.Millisecond, MaxRetryBackoff: 50 * time.Millisecond,
		DialerRetries: 1, DialerRetryTimeout: 20 * time.Millisecond,
		ClientName: "portcullis", DisableIdentity: true,
	})
	return &Redis{c: c, prefix: o.KeyPrefix, poll: o.LockPoll}, nil
}

func (r *Redis) sessionKey(key string) string { return r.prefix + "s:" + key }
func (r *Redis) ownerKey(owner string) string { return r.prefix + "u:" + owner }
func (r *Redis) sidKey(sid string) string     { return r.prefix + "sid:" + sid }
func (r *Redis) lockKey(key string) string    { return r.prefix + "lock:" + key }
func (r *Redis) claimKey(key string) string   { return r.prefix + "once:" + key }

// Claim implements Backend: SET NX, so that one replica wins.
func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	first, err := r.c.SetNX(ctx, r.claimKey(key), "1", ttl).Result()
	if err != nil {
		return false, storeError("claim", err)
	}
	return first, nil
}

// Unclaim implements Backend.
func (r *Redis) Unclaim(ctx context.Context, key string) error {
	if err := r.c.Del(ctx, r.claimKey(key)).Err(); err != nil {
		return storeError("unclaim", err)
	}
	return nil
}

func storeError(op string, err error) error {
	return fmt.Errorf("session store (redis) %s: %w", op, err)
}

// Create implements Backend. The record and its index entries are written
// in one transaction.
func (r *Redis) Create(ctx context.Context, rec Record) error {
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.sessionKey(rec.Key), rec.Sealed, rec.TTL)
		ok := r.ownerKey(rec.Owner)
		p.ZAdd(ctx, ok, redis.Z{Score: float64(rec.CreatedAt.UnixMilli()), Member: rec.Key})
		p.PExpire(ctx, ok, rec.IndexTTL)
		if rec.SID != "" {
			sk := r.sidKey(rec.SID)
			p.SAdd(ctx, sk, rec.Key)
			p.PExpire(ctx, sk, rec.IndexTTL)
		}
		return nil
	})
	if err != nil {
		return storeError("create", err)
	}
	return nil
}

// Get implements Backend: the value and its TTL in one round trip.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, time.Duration, error) {
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, r.sessionKey(key))
		ttl = p.PTTL(ctx, r.sessionKey(key))
		return nil
	})
	if errors.Is(err, redis.Nil) || errors.Is(get.Err(), redis.Nil) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, storeError("get", err)
	}
	b, err := get.Bytes()
	if err != nil {
		return nil, 0, storeError("get", err)
	}
	d := ttl.Val()
	if d <= 0 { // a key without TTL was not written by this backend
		return nil, 0, ErrNotFound
	}
	return b, d, nil
}

// Touch implements Backend.
func (r *Redis) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if err := r.c.PExpire(ctx, r.sessionKey(key), ttl).Err(); err != nil {
		return storeError("touch", err)
	}
	return nil
}

// replaceScript writes the session only while the caller's lock token is
// current (a fencing check: a replica whose lease expired cannot overwrite
// what the new holder wrote), and only if the session still exists.
var replaceScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('SET', KEYS[2], ARGV[2], 'XX', 'KEEPTTL') then return 1 end
return 0`)

// Replace implements Backend.
func (r *Redis) Replace(ctx context.Context, key string, sealed []byte, lease Lease) error {
	l, ok := lease.(*redisLease)
	if !ok || l.r != r || l.key != key {
		return fmt.Errorf("session: replace: %w (lease of another lock)", ErrLeaseLost)
	}
	n, err := replaceScript.Run(ctx, r.c, []string{r.lockKey(key), r.sessionKey(key)}, l.token, sealed).Int()
	switch {
	case err != nil:
		return storeError("replace", err)
	case n == -1:
		return ErrLeaseLost
	case n == 0:
		return ErrNotFound
	}
	return nil
}

// Delete implements Backend.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = r.sessionKey(k)
	}
	if err := r.c.Del(ctx, names...).Err(); err != nil {
		return storeError("delete", err)
	}
	return nil
}

// Owned implements Backend. Index members whose session has expired are
// removed on the way.
func (r *Redis) Owned(ctx context.Context, owner string) ([]string, error) {
	idx := r.ownerKey(owner)
	keys, err := r.c.ZRange(ctx, idx, 0, -1).Result()
	if err != nil {
		return nil, storeError("list sessions", err)
	}
	live, stale, err := r.partitionLive(ctx, keys)
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 {
		_ = r.c.ZRem(ctx, idx, stale...).Err() // best effort: the entries are dead either way
	}
	return live, nil
}

// BySID implements Backend.
func (r *Redis) BySID(ctx context.Context, sid string) ([]string, error) {
	idx := r.sidKey(sid)
	keys, err := r.c.SMembers(ctx, idx).Result()
	if err != nil {
		return nil, storeError("list sessions", err)
	}
	live, stale, err := r.partitionLive(ctx, keys)
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 {
		_ = r.c.SRem(ctx, idx, stale...).Err()
	}
	return live, nil
}

// partitionLive splits keys into those whose session exists and the others.
func (r *Redis) partitionLive(ctx context.Context, keys []string) (live []string, stale []any, err error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	cmds := make([]*redis.IntCmd, len(keys))
	_, err = r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Exists(ctx, r.sessionKey(k))
		}
		return nil
	})
	if err != nil {
		return nil, nil, storeError("list sessions", err)
	}
	for i, k := range keys {
		if cmds[i].Val() == 1 {
			live = append(live, k)
		} else {
			stale = append(stale, k)
		}
	}
	return live, stale, nil
}

// renewScript extends a lock's TTL if the caller still holds it.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// releaseScript deletes a lock if the caller still holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock implements Backend: SET NX PX with a random token, polled until
// free, then renewed every third of the lease until released, so a slow
// token endpoint does not let another replica refresh concurrently.
func (r *Redis) Lock(ctx context.Context, key string, lease time.Duration) (Lease, error) {
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("session: lock token: %w", err)
	}
	l := &redisLease{r: r, key: key, token: hex.EncodeToString(tok), lease: lease, stop: make(chan struct{})}
	for {
		ok, err := r.c.SetNX(ctx, r.lockKey(key), l.token, lease).Result()
		if err != nil {
			return nil, storeError("lock", err)
		}
		if ok {
			l.wg.Add(1)
			go l.renew()
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("session: waiting for the lock of a session: %w", ctx.Err())
		case <-time.After(r.poll):
		}
	}
}

type redisLease struct {
	r     *Redis
	key   string
	token string
	lease time.Duration
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func (l *redisLease) renew() {
	defer l.wg.Done()
	t := time.NewTicker(l.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
			n, err := renewScript.Run(ctx, l.r.c, []string{l.r.lockKey(l.key)}, l.token, strconv.FormatInt(l.lease.Milliseconds(), 10)).Int()
			cancel()
			if err == nil && n == 0 {
				return // lost: the fenced Replace will refuse our write
			}
		}
	}
}

// Release implements Lease.
func (l *redisLease) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		if e := releaseScript.Run(ctx, l.r.c, []string{l.r.lockKey(l.key)}, l.token).Err(); e != nil {
			err = storeError("unlock", e)
		}
	})
	return err
}

// Ping implements Backend.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.c.Ping(ctx).Err(); err != nil {
		return storeError("ping", err)
	}
	return nil
}

// Close implements Backend.
func (r *Redis) Close() error { return r.c.Close() }

var _ Backend = (*Redis)(nil)
