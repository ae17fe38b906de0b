package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Generation returns the domain's change counter; 0 when it was never bumped.
func (s *Store) Generation(ctx context.Context, owner, domain string) (int64, error) {
	var g int64
	err := s.pool.QueryRow(ctx, `SELECT generation FROM domain_generations WHERE domain_owner = $1 AND domain_name = $2`, owner, domain).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: get generation: %w", err)
	}
	return g, nil
}

// BumpGeneration increments the domain's change counter and returns the new value.
func (s *Store) BumpGeneration(ctx context.Context, owner, domain string) (int64, error) {
	var g int64
	err := s.pool.QueryRow(ctx, `INSERT INTO domain_generations (domain_owner, domain_name, generation) VALUES ($1, $2, 1)
		ON CONFLICT (domain_owner, domain_name) DO UPDATE SET generation = domain_generations.generation + 1
		RETURNING generation`, owner, domain).Scan(&g)
	if err != nil {
		return 0, fmt.Errorf("postgres: bump generation: %w", err)
	}
	return g, nil
}
