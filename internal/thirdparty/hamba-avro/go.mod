module github.com/hamba/avro/v2

go 1.24.0

require (
	github.com/go-viper/mapstructure/v2 v2.4.0
	github.com/json-iterator/go v1.1.12
	github.com/modern-go/reflect2 v1.0.2
)

require github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
