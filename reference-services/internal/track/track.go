// Package track holds the position message the services exchange and its validation.
package track

import (
	"math"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// MaxPoints bounds one call, so a single request cannot hold a service's memory or Redis for long.
const MaxPoints = 1000

// Point is one position report of a device.
type Point struct {
	RecordedAt time.Time `json:"recorded_at"`
	Latitude   float64   `json:"latitude"`
	Longitude  float64   `json:"longitude"`
	// SpeedKmh is what the device reported, or what refinement derived from the previous point.
	SpeedKmh float64 `json:"speed_kmh,omitempty"`
}

// Validate answers InvalidArgument (a client's mistake, not counted as a service error by the
// alert rules) for a missing device, no or too many points, or coordinates off the globe.
func Validate(deviceID string, points []Point) error {
	if err := ValidateDevice(deviceID); err != nil {
		return err
	}
	if len(points) == 0 || len(points) > MaxPoints {
		return status.Errorf(codes.InvalidArgument, "points: expected 1 to %d points, got %d", MaxPoints, len(points))
	}
	for i, p := range points {
		if p.RecordedAt.IsZero() {
			return status.Errorf(codes.InvalidArgument, "points[%d].recorded_at: expected an RFC 3339 time", i)
		}
		if math.IsNaN(p.Latitude) || p.Latitude < -90 || p.Latitude > 90 || math.IsNaN(p.Longitude) || p.Longitude < -180 || p.Longitude > 180 {
			return status.Errorf(codes.InvalidArgument, "points[%d]: expected latitude in [-90, 90] and longitude in [-180, 180], got %g, %g", i, p.Latitude, p.Longitude)
		}
	}
	return nil
}

// ValidateDevice answers InvalidArgument for a missing or overlong device id.
func ValidateDevice(deviceID string) error {
	if deviceID == "" || len(deviceID) > 128 {
		return status.Error(codes.InvalidArgument, "device_id: expected 1 to 128 characters")
	}
	return nil
}

const earthRadiusKm = 6371.0088

// DistanceKm is the great-circle (haversine) distance between two points.
func DistanceKm(a, b Point) float64 {
	rad := math.Pi / 180
	dLat := (b.Latitude - a.Latitude) * rad
	dLon := (b.Longitude - a.Longitude) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Latitude*rad)*math.Cos(b.Latitude*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}
