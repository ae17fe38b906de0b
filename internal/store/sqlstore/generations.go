package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// Generation returns the domain's change counter; 0 when it was never bumped.
func (s *Store) Generation(ctx context.Context, owner, domain string) (int64, error) {
	var g int64
	err := s.rd.QueryRowContext(ctx, `SELECT generation FROM domain_generations WHERE domain_owner = ? AND domain_name = ?`, owner, domain).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.errorf("get generation: %w", err)
	}
	return g, nil
}

// BumpGeneration increments the domain's change counter and returns the new value.
func (s *Store) BumpGeneration(ctx context.Context, owner, domain string) (int64, error) {
	var g int64
	// One statement: the upsert's row lock orders concurrent bumps.
	err := s.wr.QueryRowContext(ctx, `INSERT INTO domain_generations (domain_owner, domain_name, generation) VALUES (?, ?, 1)
		ON CONFLICT (domain_owner, domain_name) DO UPDATE SET generation = domain_generations.generation + 1
		RETURNING generation`, owner, domain).Scan(&g)
	if err != nil {
		return 0, s.errorf("bump generation: %w", err)
	}
	return g, nil
}
